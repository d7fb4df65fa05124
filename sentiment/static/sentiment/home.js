// The home page's "try it" form: POSTs the lines to the API and shows its JSON answer.
(function () {
  const form = document.getElementById("try");
  const answer = document.getElementById("answer");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const tweets = document.getElementById("tweets").value.split("\n").filter((t) => t.trim());
    const body = { tweets: tweets, detail: document.getElementById("detail").checked };
    answer.textContent = "…";
    try {
      const response = await fetch(form.dataset.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const data = await response.json();
      answer.textContent = `HTTP ${response.status}\n` + JSON.stringify(data, null, 2);
    } catch (error) {
      answer.textContent = String(error);
    }
  });
})();
