// Names for the form controls of Datasette 0.65's own templates that have none (axe-core: "label",
// "select-name"): the table page's filter and sort controls, and the SQL editor's CodeMirror input.
// Loaded as a module: it runs once the page is parsed, and again on load, after Datasette's window.onload
// (registered first, so run first) has built the CodeMirror editor.
const names = [
  ['select[name^="_filter_column"]', "Filter: column"],
  ['select[name^="_filter_op"]', "Filter: operator"],
  ['input[name^="_filter_value"]', "Filter: value"],
  ['select[name="_sort"], select[name="_sort_desc"]', "Sort by"],
  [".CodeMirror textarea", "SQL query"],
];
function label() {
  for (const [selector, name] of names) {
    for (const element of document.querySelectorAll(selector)) {
      if (!element.labels?.length && !element.hasAttribute("aria-label")) element.setAttribute("aria-label", name);
    }
  }
}
label();
window.addEventListener("load", label);
