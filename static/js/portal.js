// Starts GOV.UK Frontend's components (menus, error summary focus, password reveal).
import { initAll } from "../vendor/govuk-frontend-6.3.0/govuk-frontend.min.js";

initAll();
