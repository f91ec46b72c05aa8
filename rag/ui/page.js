() => {
  // An answer's [n] links to "#src-<turn>-<n>": open that source card beside the chat instead
  // of navigating. The card may not exist yet when the click also switches the panel to an
  // earlier turn, so look for it a few times.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#src-"]');
    if (!link) return;
    event.preventDefault();
    const id = link.getAttribute("href").slice(1);
    let tries = 0;
    const open = () => {
      const card = document.getElementById(id);
      if (!card) {
        if (tries++ < 30) setTimeout(open, 100);
        return;
      }
      card.open = true;
      card.scrollIntoView({ behavior: "smooth", block: "nearest" });
      card.classList.remove("flash");
      void card.offsetWidth;  // restart the highlight animation
      card.classList.add("flash");
    };
    open();
  }, true);
}
