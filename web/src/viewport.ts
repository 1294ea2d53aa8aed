/** Phones: keep the field being typed in visible while the on-screen keyboard is open. The keyboard
 * shrinks the visual viewport (window.visualViewport), on some browsers without resizing the page; a chat or
 * note input near the bottom would then sit under the keyboard. `--keyboard` (px) is how much of the page
 * the keyboard covers, for styles that need it. */
const EDITABLE = 'input, textarea, select, [contenteditable=true], [contenteditable=""]';

export function followKeyboard(): void {
  const vv = window.visualViewport;
  if (!vv) return;
  const root = document.documentElement;
  const update = (): void => {
    const covered = Math.max(0, Math.round(window.innerHeight - vv.height - vv.offsetTop));
    root.style.setProperty('--keyboard', `${covered}px`);
    root.classList.toggle('keyboard-open', covered > 80);
    const el = document.activeElement;
    if (!(el instanceof HTMLElement) || !el.matches(EDITABLE)) return;
    const r = el.getBoundingClientRect();
    const top = vv.offsetTop;
    const bottom = vv.offsetTop + vv.height;
    if (r.bottom > bottom || r.top < top) {
      // scroll the page (not the visual viewport) so that the field's bottom meets the keyboard's top
      window.scrollBy({ top: r.bottom - bottom + 8, behavior: 'instant' });
      const again = el.getBoundingClientRect();
      if (again.bottom > bottom || again.top < top) el.scrollIntoView({ block: 'end', inline: 'nearest' });
    }
  };
  vv.addEventListener('resize', update);
  vv.addEventListener('scroll', update);
  document.addEventListener('focusin', () => requestAnimationFrame(update));
}
