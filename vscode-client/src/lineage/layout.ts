/** The lineage graph laid out for drawing: `dagster/lineage` in, positioned boxes and edge paths out (dagre, left to right). */

import { Graph, layout as dagreLayout } from "@dagrejs/dagre";
import { LineageAsset, LineageResult, Location } from "../protocol";

export interface NodeBox {
  key: string;
  /** The key's last part, drawn large; the full key is in `key`. */
  label: string;
  /** The key's leading parts ("raw/"), drawn small above the label; "" for one-part keys. */
  prefix: string;
  role: LineageAsset["role"];
  kinds: string[];
  owners: string[];
  group: string | null;
  description: string | null;
  location: Location | null;
  /** Center, width and height, in pixels. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface EdgePath {
  from: string;
  to: string;
  points: { x: number; y: number }[];
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: NodeBox[];
  edges: EdgePath[];
}

const CHAR_WIDTH = 7.2; // the webview's 12px UI font, measured on average
const PADDING_X = 28;
const MIN_WIDTH = 110;
const MAX_WIDTH = 280;
const HEIGHT = 54;
const MARGIN = 20;

export function splitKey(key: string): { prefix: string; label: string } {
  const at = key.lastIndexOf("/");
  return at < 0 ? { prefix: "", label: key } : { prefix: key.slice(0, at + 1), label: key.slice(at + 1) };
}

function boxWidth(prefix: string, label: string, kinds: string[]): number {
  const longest = Math.max(label.length, prefix.length * 0.85, kinds.join(" · ").length * 0.85);
  return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, Math.round(longest * CHAR_WIDTH + PADDING_X)));
}

export function layoutLineage(result: LineageResult): GraphLayout {
  const graph = new Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 18, ranksep: 64, marginx: MARGIN, marginy: MARGIN });
  graph.setDefaultEdgeLabel(() => ({}));
  const assets = new Map(result.assets.map((a) => [a.key, a]));
  for (const asset of result.assets) {
    const { prefix, label } = splitKey(asset.key);
    graph.setNode(asset.key, { width: boxWidth(prefix, label, asset.kinds), height: HEIGHT });
  }
  for (const [from, to] of result.edges) {
    if (assets.has(from) && assets.has(to) && from !== to) {
      graph.setEdge(from, to);
    }
  }
  dagreLayout(graph);
  const nodes: NodeBox[] = result.assets.map((asset) => {
    const placed = graph.node(asset.key);
    const { prefix, label } = splitKey(asset.key);
    return {
      key: asset.key,
      label,
      prefix,
      role: asset.role,
      kinds: asset.kinds,
      owners: asset.owners,
      group: asset.group,
      description: asset.description,
      location: asset.location,
      x: placed.x,
      y: placed.y,
      width: placed.width,
      height: placed.height,
    };
  });
  const edges: EdgePath[] = graph.edges().map((e: { v: string; w: string }) => ({
    from: e.v,
    to: e.w,
    points: (graph.edge(e).points ?? []).map((p: { x: number; y: number }) => ({ x: p.x, y: p.y })),
  }));
  const size = graph.graph();
  return { width: Math.ceil(size.width ?? 0), height: Math.ceil(size.height ?? 0), nodes, edges };
}
