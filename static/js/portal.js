// Starts GOV.UK Frontend's components (menus, error summary focus, password reveal).
import { initAll } from "../vendor/govuk-frontend-6.3.0/govuk-frontend.min.js";

initAll();

// Answers the checklist could not send yet wait in this phone's storage: warn before signing out.
const waiting = () => JSON.parse(localStorage.getItem("qa-portal-answers-v1") || "[]").length;
document.querySelectorAll("[data-sign-out]").forEach((signOut) => {
  signOut.addEventListener("submit", (event) => {
    const count = waiting();
    if (count && !window.confirm(`${count} answer${count === 1 ? " has" : "s have"} not `
      + "reached the server yet. They stay on this phone and send when you next sign in. "
      + "Sign out anyway?")) event.preventDefault();
  });
});

