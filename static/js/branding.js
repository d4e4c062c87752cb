// Branding page (templates/resellers/branding.html): live preview while choosing colours;
// the server computes the same contrast when saving.
(function () {
  const form = document.querySelector('[data-testid="branding-form"]');
  if (!form) return;
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const luminance = (hex) => {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)));
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const contrast = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const update = () => {
    const header = field("header_colour").value, bg = field("background_colour").value,
      text = field("text_colour").value;
    const headerEl = document.getElementById("preview-header"), bodyEl = document.getElementById("preview-body");
    headerEl.style.background = header;
    headerEl.style.color = contrast(header, "#ffffff") >= contrast(header, "#000000") ? "#ffffff" : "#000000";
    bodyEl.style.background = bg;
    bodyEl.style.color = text;
    // The page's decimal sign, as the server writes the ratio ("4,52" in de/fr/pl).
    document.getElementById("contrast-ratio").textContent = contrast(bg, text).toLocaleString(
      document.documentElement.lang || undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  };
  ["header_colour", "background_colour", "text_colour"].forEach((n) => field(n).addEventListener("input", update));
})();
