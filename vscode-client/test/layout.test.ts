import assert from "node:assert/strict";
import { test } from "node:test";
import { layoutLineage, splitKey } from "../src/lineage/layout";
import { LINEAGE } from "./fixtures";

test("keys split into a small prefix and a label", () => {
  assert.deepEqual(splitKey("research/churn_model"), { prefix: "research/", label: "churn_model" });
  assert.deepEqual(splitKey("orders"), { prefix: "", label: "orders" });
});

test("every asset gets a box, in dependency order from left to right", () => {
  const layout = layoutLineage(LINEAGE);
  const x = Object.fromEntries(layout.nodes.map((n) => [n.key, n.x]));
  assert.deepEqual(layout.nodes.map((n) => [n.key, n.role]), LINEAGE.assets.map((a) => [a.key, a.role]));
  assert.ok(x.raw_orders < x.stg_orders && x.stg_orders < x.orders && x.orders < x["research/churn_model"]);
  assert.equal(x.orders, x.customers);
});

test("edges join listed assets only, from the upstream box's right to the downstream box's left", () => {
  const layout = layoutLineage(LINEAGE);
  assert.deepEqual(layout.edges.map((e) => `${e.from}->${e.to}`).sort(), [
    "customers->research/churn_model", "orders->research/churn_model", "raw_orders->stg_orders", "stg_orders->customers", "stg_orders->orders",
  ]);
  const box = Object.fromEntries(layout.nodes.map((n) => [n.key, n]));
  for (const edge of layout.edges) {
    const first = edge.points[0];
    const last = edge.points[edge.points.length - 1];
    assert.ok(Math.abs(first.x - (box[edge.from].x + box[edge.from].width / 2)) < 1, `${edge.from} starts at its right side`);
    assert.ok(Math.abs(last.x - (box[edge.to].x - box[edge.to].width / 2)) < 1, `${edge.to} ends at its left side`);
  }
});

test("boxes do not overlap and fit inside the drawing", () => {
  const layout = layoutLineage(LINEAGE);
  for (const a of layout.nodes) {
    assert.ok(a.x - a.width / 2 >= 0 && a.x + a.width / 2 <= layout.width && a.y - a.height / 2 >= 0 && a.y + a.height / 2 <= layout.height);
    for (const b of layout.nodes) {
      if (a === b) continue;
      const apart = Math.abs(a.x - b.x) >= (a.width + b.width) / 2 || Math.abs(a.y - b.y) >= (a.height + b.height) / 2;
      assert.ok(apart, `${a.key} and ${b.key} overlap`);
    }
  }
});

test("an empty graph lays out to an empty drawing", () => {
  const layout = layoutLineage({ assets: [], edges: [], errors: [], stale: false });
  assert.deepEqual([layout.nodes, layout.edges], [[], []]);
});
