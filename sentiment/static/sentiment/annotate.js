// The annotation page: one key press labels the tweet on screen and shows the next one.
//
// The page holds a few prefetched tweets, so the next one is on screen at once; the label is
// saved by a small POST that also answers the tweets to prefetch. Requests go one after the
// other, so an undo never overtakes the label it undoes. Plain JavaScript, nothing loaded.
"use strict";

(() => {
  const root = document.getElementById("annotate");
  if (!root) return;
  const config = JSON.parse(document.getElementById("annotate-config").textContent);
  const csrfToken = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const KEYS = { 1: "negative", 2: "neutral", 3: "positive" };
  const RECENT = 10;
  const numbers = new Intl.NumberFormat();
  const $ = (id) => document.getElementById(id);

  const state = {
    current: null,
    queue: [], // prefetched tweets, in the order they will be shown
    history: [], // tweets labelled on this page, the last one first to undo
    recent: [], // ids shown lately: the server keeps near-duplicates of them apart
    done: 0,
    pending: 0,
    left: config.left,
    more: config.more,
  };

  // --- display --------------------------------------------------------------------------------

  function render() {
    const tweet = state.current;
    root.dataset.tweet = tweet ? String(tweet.id) : "";
    root.dataset.state = tweet ? "ready" : state.pending ? "loading" : "empty";
    $("annotate-empty").hidden = Boolean(tweet) || state.pending > 0;
    if (tweet) {
      $("annotate-text").textContent = tweet.text;
      let meta = `Tweet #${tweet.id}`;
      if (tweet.source) meta += ` · ${tweet.source}`;
      if (tweet.wanted > 1) meta += ` · ${tweet.annotations} of ${tweet.wanted} annotations`;
      $("annotate-meta").textContent = meta;
      renderSuggestion(tweet.suggestion);
    }
    renderCounters();
  }

  function renderSuggestion(suggestion) {
    const box = $("annotate-suggestion");
    box.replaceChildren();
    if (!suggestion) {
      box.textContent = "No model suggestion: no model is active yet.";
      return;
    }
    const score = suggestion.score >= 0 ? `+${suggestion.score.toFixed(2)}` : suggestion.score.toFixed(2);
    const strong = document.createElement("strong");
    strong.textContent = suggestion.label;
    box.append(`Model (version ${suggestion.model_version}) suggests `, strong, ` (score ${score})`);
    if (suggestion.terms.length) {
      const terms = document.createElement("span");
      terms.className = "terms";
      terms.setAttribute("aria-label", "terms that weighed most");
      for (const [term, weight] of suggestion.terms) {
        const chip = document.createElement("span");
        chip.className = `term ${weight > 0 ? "up" : "down"}`;
        chip.title = `${weight > 0 ? "towards positive" : "towards negative"} (${weight})`;
        chip.textContent = `${weight > 0 ? "▲" : "▼"} ${term}`;
        terms.append(chip);
      }
      box.append(terms);
    }
  }

  function renderCounters() {
    const left = numbers.format(state.left);
    $("annotate-left").textContent = state.more ? `more than ${left} left` : `${left} left`;
    $("annotate-done").textContent = `${state.done} labelled on this page`;
    root.dataset.pending = String(state.pending);
  }

  function showStatus(message, isError = false) {
    const status = $("annotate-status");
    status.textContent = message;
    status.classList.toggle("error", isError);
  }

  // --- the queue on the page ------------------------------------------------------------------

  function advance() {
    if (state.current) state.recent = [...state.recent, state.current.id].slice(-RECENT);
    state.current = state.queue.shift() || null;
    render();
  }

  function accept(data) {
    if (typeof data.left === "number") {
      state.left = data.left;
      state.more = data.more;
    }
    const held = new Set(state.queue.map((t) => t.id));
    if (state.current) held.add(state.current.id);
    for (const tweet of data.tweets || []) {
      if (!held.has(tweet.id)) {
        state.queue.push(tweet);
        held.add(tweet.id);
      }
    }
    if (!state.current && state.queue.length) advance();
    else render();
  }

  // What the server needs to choose the next tweets; built when the request leaves.
  function queueBody() {
    const held = state.queue.map((t) => t.id);
    if (state.current) held.push(state.current.id);
    return {
      exclude: held,
      recent: state.recent,
      order: config.order,
      want: Math.max(0, config.prefetch - state.queue.length),
    };
  }

  // --- requests, one after the other ----------------------------------------------------------

  let chain = Promise.resolve();

  async function send(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch {
      // An HTML answer: the session expired (login page) or the server failed.
    }
    if (!response.ok || !data) {
      const reason = data && data.error ? data.error : response.redirected ? "your session expired: reload the page" : `the server answered ${response.status}`;
      throw new Error(reason);
    }
    return data;
  }

  function post(url, makeBody, onData, onError) {
    state.pending += 1;
    renderCounters();
    const request = chain.then(async () => {
      const data = await send(url, makeBody());
      onData(data);
      return data;
    });
    chain = request.catch(() => undefined);
    request
      .then(() => showStatus(""))
      .catch((error) => {
        showStatus(error.message, true);
        if (onError) onError(error);
      })
      .finally(() => {
        state.pending -= 1;
        render();
      });
  }

  // --- actions --------------------------------------------------------------------------------

  function label(value) {
    const tweet = state.current;
    if (!tweet) return;
    state.history.push(tweet);
    state.done += 1;
    advance();
    post(config.urls.label, () => ({ tweet: tweet.id, label: value, ...queueBody() }), accept, () => {
      // Not saved: the tweet comes back on screen to be labelled again.
      state.history = state.history.filter((t) => t.id !== tweet.id);
      state.done -= 1;
      if (state.current) state.queue.unshift(state.current);
      state.current = tweet;
    });
  }

  function skip() {
    const tweet = state.current;
    if (!tweet) return;
    advance();
    post(config.urls.skip, () => ({ tweet: tweet.id, ...queueBody() }), accept);
  }

  function undo() {
    const tweet = state.history.pop();
    if (!tweet) {
      showStatus("Nothing to undo on this page.");
      return;
    }
    state.done -= 1;
    if (state.current) state.queue.unshift(state.current);
    state.current = tweet;
    render();
    post(config.urls.undo, () => ({ tweet: tweet.id }), (data) => accept({ left: data.left, more: data.more }));
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing || event.repeat) return;
    if (event.target.closest && event.target.closest("input, textarea, select, [contenteditable]")) return;
    const key = event.key.toLowerCase();
    if (KEYS[key]) label(KEYS[key]);
    else if (key === "s") skip();
    else if (key === "u" || key === "backspace") undo();
    else return;
    event.preventDefault();
  });

  root.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    button.blur(); // so that Enter or Space does not press it again
    if (button.dataset.label) label(button.dataset.label);
    else if (button.dataset.action === "skip") skip();
    else if (button.dataset.action === "undo") undo();
  });

  state.queue = config.tweets.slice();
  advance();
})();
