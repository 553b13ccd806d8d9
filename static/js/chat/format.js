// Times and file sizes written the way the server writes them on this page (Django's
// date:"D H:i" in the page's time zone, and filesizeformat), from what the page says: its time
// zone, day names, decimal separator and size units. The browser's own language plays no part.

const DAY_INDEX = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

export function readFormats(data, lang) {
  return {
    lang: lang || "en",
    timeZone: data.timeZone || "UTC",
    weekdays: JSON.parse(data.weekdays || "[]"),
    weekdaysLong: JSON.parse(data.weekdaysLong || "[]"),
    awayOnDay: JSON.parse(data.awayOnDay || "[]"),
    decimalSeparator: data.decimalSeparator || ".",
    bytes: JSON.parse(data.sizeBytes || "{}"),
    units: JSON.parse(data.sizeUnits || "[]"),
    months: JSON.parse(data.months || "[]"),
    today: data.textToday || "",
    yesterday: data.textYesterday || "",
  };
}

function parts(iso, timeZone) {
  // en-US and h23 only to read the numbers and the day; the words come from the page.
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  const out = {};
  for (const p of fmt.formatToParts(new Date(iso))) { out[p.type] = p.value; }
  return { day: DAY_INDEX[out.weekday], hour: out.hour.padStart(2, "0"), minute: out.minute.padStart(2, "0") };
}

// "D H:i": the short day name and the 24-hour time, as on the server-rendered page.
export function formatTime(iso, f) {
  const p = parts(iso, f.timeZone);
  return `${f.weekdays[p.day]} ${p.hour}:${p.minute}`;
}

// The office-hours notice: one whole sentence per weekday, as the server writes it
// (messaging.hours.AWAY_ON_DAY), with the name and the 24-hour time filled in.
export function awayNotice(iso, name, f) {
  const p = parts(iso, f.timeZone);
  const sentence = f.awayOnDay[p.day] || "";
  return sentence.split("{name}").join(name).split("{time}").join(`${p.hour}:${p.minute}`);
}

// The calendar day of a moment in the page's time zone, "YYYY-MM-DD" (the server's date:"Y-m-d").
export function dayKey(iso, timeZone) {
  const fmt = new Intl.DateTimeFormat("en-US", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit",
  });
  const out = {};
  for (const p of fmt.formatToParts(iso ? new Date(iso) : new Date())) { out[p.type] = p.value; }
  return `${out.year}-${out.month}-${out.day}`;
}

// A day separator's words, as messaging_tags.day_label writes them: "Today", "Yesterday",
// else date:"D j M" ("Mon 7 Dec") in the page's language.
export function dayLabel(key, f) {
  const [y, m, d] = key.split("-").map(Number);
  const [ty, tm, td] = dayKey(null, f.timeZone).split("-").map(Number);
  const days = (Date.UTC(ty, tm - 1, td) - Date.UTC(y, m - 1, d)) / 86400000;
  if (days === 0) { return f.today; }
  if (days === 1) { return f.yesterday; }
  const weekday = (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;   // Monday first
  return `${f.weekdays[weekday]} ${d} ${f.months[m - 1]}`;
}

// Python's round(x, 1) for x = n / 2^k: exact halves go to the even digit.
function oneDecimal(bytes, unit) {
  const tenths = (bytes * 10) / unit;           // exact: a division by a power of two
  let whole = Math.floor(tenths);
  const rest = tenths - whole;
  if (rest > 0.5 || (rest === 0.5 && whole % 2 === 1)) { whole += 1; }
  return `${Math.floor(whole / 10)}${"\u0000"}${whole % 10}`;
}

export function formatSize(bytes, f) {
  const n = Math.abs(Math.trunc(Number(bytes) || 0));
  let text;
  if (n < 1024) {
    const category = new Intl.PluralRules(f.lang).select(n);
    const form = f.bytes[category] || f.bytes.other || "%(size)d";
    text = form.split("%(size)d").join(String(n));
  } else {
    let i = 0;
    let unit = 1024;
    while (i < f.units.length - 1 && n >= unit * 1024) { unit *= 1024; i += 1; }
    const number = oneDecimal(n, unit).replace("\u0000", f.decimalSeparator);
    text = f.units[i].split("%s").join(number);
  }
  if (Number(bytes) < 0) { text = `-${text}`; }
  return text.split(" ").join("\u00a0");       // Django's avoid_wrapping
}
