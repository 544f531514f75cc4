// Marks the page as scripted before it paints, as GOV.UK Frontend expects.
document.body.className += " js-enabled" +
  ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
