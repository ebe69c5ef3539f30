// Consume an EventStream SSE endpoint with the npm `eventsource` package (an independent
// client), let it reconnect by itself, and print what it saw as one JSON line.
// Usage: node consume.mjs URL COUNT TIMEOUT_MS [AUTH_HEADER]
import { EventSource } from "eventsource";

const [url, countText, timeoutText, auth] = process.argv.slice(2);
const want = Number(countText);
const received = [];
const closes = [];
const resets = [];
let opens = 0;

const init = auth
  ? { fetch: (input, options) => fetch(input, { ...options, headers: { ...options.headers, Authorization: auth } }) }
  : {};
const source = new EventSource(url, init);

function finish(reason) {
  source.close();
  process.stdout.write(JSON.stringify({ reason, received, opens, closes, resets }) + "\n");
  process.exit(0);
}

const onChange = (message) => {
  received.push(message.lastEventId);
  JSON.parse(message.data); // must be one JSON document
  if (received.length >= want) finish("done");
};
for (const action of ["create", "update", "delete"]) {
  source.addEventListener(`io.eventstream.asset.${action}`, onChange);
}
source.addEventListener("close", (message) => closes.push(JSON.parse(message.data).reason));
source.addEventListener("reset", (message) => resets.push(JSON.parse(message.data)));
source.onopen = () => { opens += 1; };
setTimeout(() => finish("timeout"), Number(timeoutText));
