// A plain static file server for the SPA build (`trunk build`): files from a folder, and
// `index.html` for any other path, the way static hosts serve a single-page app. Loopback only.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

const root = process.env.STATIC_ROOT ?? "../target/spa";
const port = Number(process.env.STATIC_PORT ?? 3127);
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
};

createServer(async (req, res) => {
  const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
  const send = (body, file) => {
    res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    res.end(body);
  };
  try {
    const file = join(root, path);
    send(await readFile(file), file);
  } catch {
    try {
      send(await readFile(join(root, "index.html")), "index.html");
    } catch {
      res.writeHead(404).end("not built: run `trunk build --release`");
    }
  }
}).listen(port, "127.0.0.1");
