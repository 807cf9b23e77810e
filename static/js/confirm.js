// Ask before destructive buttons marked with data-confirm. Without JavaScript the buttons still work.
for (const button of document.querySelectorAll("button[data-confirm]")) {
  button.form.addEventListener("submit", (event) => {
    if (!window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
}
