// The invitation search on a visit's page: matches appear as you type. Without this script
// the same search is a plain form (?people=...), answered by the server.
const search = document.querySelector("[data-people-search]");
const results = document.querySelector("[data-people-results]");
const boxes = results?.querySelector(".govuk-checkboxes");

const item = (person) => {
  const id = `invitee_ids-p${person.id}`;
  const wrap = document.createElement("div");
  wrap.className = "govuk-checkboxes__item";
  const input = Object.assign(document.createElement("input"), {
    className: "govuk-checkboxes__input",
    id,
    name: "invitee_ids",
    type: "checkbox",
    value: String(person.id),
  });
  const label = Object.assign(document.createElement("label"), {
    className: "govuk-label govuk-checkboxes__label",
    htmlFor: id,
    textContent: person.label,
  });
  wrap.append(input, label);
  return wrap;
};

async function show(text, status) {
  const url = new URL(search.dataset.peopleSearch, window.location.href);
  url.searchParams.set("q", text);
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) return; // the plain form still works, and says what is wrong
  const found = await response.json();
  if (search.querySelector("input[name=people]").value.trim() !== text) return; // typed on
  // Those already ticked stay, whatever the new search finds.
  const ticked = [...boxes.querySelectorAll("input:checked")].map((input) => input.closest(".govuk-checkboxes__item"));
  const kept = new Set(ticked.map((wrap) => wrap.querySelector("input").value));
  boxes.replaceChildren(...ticked, ...found.people.filter((p) => !kept.has(String(p.id))).map(item));
  status.textContent = found.more
    ? `More than ${found.people.length} people match: the first ${found.people.length} are shown. Refine your search to find others.`
    : found.people.length ? "" : `No one who can still be invited matches “${text}”.`;
  results.hidden = !text && !ticked.length;
  const action = new URL(results.action, window.location.href);
  action.searchParams.set("people", text);
  results.action = action.toString();
}

if (search && results && boxes) {
  const input = search.querySelector("input[name=people]");
  const status = results.querySelector("[data-people-status]");
  let timer;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    timer = setTimeout(() => show(text, status).catch(() => {}), 250);
  });
}
