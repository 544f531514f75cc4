"""The county QA framework: versioned areas and criteria with a descriptor per rating level."""
