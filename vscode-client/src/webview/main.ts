/** The lineage webview's script: draws the laid-out graph as SVG; clicks go back to the extension. */

import type { EdgePath, GraphLayout, NodeBox } from "../lineage/layout";
import type { FromWebview, ToWebview } from "../lineage/panel";

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void };

const vscode = acquireVsCodeApi();
const SVG = "http://www.w3.org/2000/svg";
const svg = document.getElementById("graph") as unknown as SVGSVGElement;
const title = document.getElementById("title") as HTMLElement;
const badge = document.getElementById("badge") as HTMLElement;
const errors = document.getElementById("errors") as HTMLUListElement;
const message = document.getElementById("message") as HTMLElement;
const depth = document.getElementById("depth") as HTMLSelectElement;
const fit = document.getElementById("fit") as HTMLButtonElement;

const MAX_FIT_SCALE = 1.25;
let view = { x: 0, y: 0, width: 1, height: 1 };
let full = { ...view };
let graphSize = { width: 1, height: 1 };

function el<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>, parent?: Element): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) {
    node.setAttribute(key, String(value));
  }
  parent?.appendChild(node);
  return node;
}

function setView(next: typeof view): void {
  view = next;
  svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.width} ${view.height}`);
}

function edgePath(edge: EdgePath): string {
  const [first, ...rest] = edge.points;
  if (!first) {
    return "";
  }
  return `M${first.x},${first.y}` + rest.map((p) => `L${p.x},${p.y}`).join("");
}

function tooltip(node: NodeBox): string {
  const lines = [node.key, `role: ${node.role}`];
  if (node.group) lines.push(`group: ${node.group}`);
  if (node.kinds.length) lines.push(`kinds: ${node.kinds.join(", ")}`);
  if (node.owners.length) lines.push(`owners: ${node.owners.join(", ")}`);
  if (node.description) lines.push("", node.description);
  lines.push("", node.location ? "Click to open the file that produces it" : "Not produced in this workspace");
  return lines.join("\n");
}

function drawNode(node: NodeBox, parent: Element): void {
  const g = el("g", { class: `node ${node.role}${node.location ? " linked" : ""}`, "data-key": node.key, tabindex: 0, role: "button",
    transform: `translate(${node.x - node.width / 2},${node.y - node.height / 2})` }, parent);
  el("title", {}, g).textContent = tooltip(node);
  el("rect", { width: node.width, height: node.height, rx: 6, ry: 6 }, g);
  const prefix = el("text", { class: "prefix", x: 10, y: 15 }, g);
  prefix.textContent = node.prefix;
  const label = el("text", { class: "label", x: 10, y: node.prefix ? 32 : 28 }, g);
  label.textContent = node.label;
  const kinds = el("text", { class: "kinds", x: 10, y: node.height - 8 }, g);
  kinds.textContent = node.kinds.join(" · ");
  const open = () => vscode.postMessage({ type: "open", key: node.key });
  g.addEventListener("click", open);
  g.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") open();
  });
}

function draw(layout: GraphLayout): void {
  svg.replaceChildren();
  const defs = el("defs", {}, svg);
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }, marker);
  const edges = el("g", { class: "edges" }, svg);
  for (const edge of layout.edges) {
    el("path", { d: edgePath(edge), class: "edge", "marker-end": "url(#arrow)", "data-from": edge.from, "data-to": edge.to }, edges);
  }
  const nodes = el("g", { class: "nodes" }, svg);
  for (const node of layout.nodes) {
    drawNode(node, nodes);
  }
  graphSize = { width: Math.max(layout.width, 1), height: Math.max(layout.height, 1) };
  fitView();
}

/** The whole graph in the panel, centred, top-aligned, never magnified past MAX_FIT_SCALE (one box must not fill the panel). */
function fitView(): void {
  const width = Math.max(svg.clientWidth, 1);
  const height = Math.max(svg.clientHeight, 1);
  const scale = Math.min(width / graphSize.width, height / graphSize.height, MAX_FIT_SCALE);
  const viewWidth = width / scale;
  const viewHeight = height / scale;
  full = { x: (graphSize.width - viewWidth) / 2, y: 0, width: viewWidth, height: viewHeight };
  setView(full);
}

function render(state: Extract<ToWebview, { type: "render" }>): void {
  title.textContent = state.title;
  badge.hidden = !state.stale;
  badge.textContent = state.stale ? "refreshing…" : "";
  depth.value = String(state.depth);
  errors.replaceChildren(...state.errors.map((e) => {
    const item = document.createElement("li");
    item.textContent = e.message;
    item.addEventListener("click", () => vscode.postMessage({ type: "openError", index: e.index }));
    return item;
  }));
  message.textContent = state.layout.nodes.length === 0 && state.errors.length === 0 ? "This file produces no assets." : "";
  draw(state.layout);
}

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  const data = event.data;
  if (data.type === "loading") {
    title.textContent = data.title;
    message.textContent = "Loading definitions… (the first load of a dbt project runs dbt parse)";
  } else if (data.type === "render") {
    render(data);
  }
});

depth.addEventListener("change", () => vscode.postMessage({ type: "depth", depth: Number(depth.value) }));
fit.addEventListener("click", fitView);
new ResizeObserver(() => {
  const fitted = view.x === full.x && view.y === full.y && view.width === full.width && view.height === full.height;
  if (fitted) fitView(); // keep a fitted graph fitted; leave a zoomed one alone
}).observe(svg);

// Zoom with the wheel around the pointer, pan by dragging the background.
svg.addEventListener("wheel", (event) => {
  event.preventDefault();
  const box = svg.getBoundingClientRect();
  const scale = Math.exp(event.deltaY * 0.0015);
  const px = view.x + ((event.clientX - box.left) / box.width) * view.width;
  const py = view.y + ((event.clientY - box.top) / box.height) * view.height;
  setView({ x: px - (px - view.x) * scale, y: py - (py - view.y) * scale, width: view.width * scale, height: view.height * scale });
}, { passive: false });

let drag: { x: number; y: number; view: typeof view } | undefined;
svg.addEventListener("pointerdown", (event) => {
  if ((event.target as Element).closest(".node")) return;
  drag = { x: event.clientX, y: event.clientY, view };
  svg.setPointerCapture(event.pointerId);
});
svg.addEventListener("pointermove", (event) => {
  if (!drag) return;
  const box = svg.getBoundingClientRect();
  const dx = ((event.clientX - drag.x) / box.width) * drag.view.width;
  const dy = ((event.clientY - drag.y) / box.height) * drag.view.height;
  setView({ ...drag.view, x: drag.view.x - dx, y: drag.view.y - dy });
});
svg.addEventListener("pointerup", () => (drag = undefined));

vscode.postMessage({ type: "ready" });
