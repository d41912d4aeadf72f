/**
 * The cytoscape view. Elements are synced by id (a refetch keeps positions), and
 * laid out by fcose when the graph is small. A large graph's groups start on a
 * grid, its plain references on the underlay (underlay.ts); later additions are
 * placed locally, so an expanded group does not reshuffle a thousand others.
 */
import cytoscape, { type Collection, type Core, type ElementDefinition } from 'cytoscape';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { parseRef, type Ref, refKey } from './elements.js';
import { CLUSTER, graphStyle, GROUP } from './style.js';
import { type Line, Underlay } from './underlay.js';

/** fcose, loaded when a graph first needs it: a large graph never does, and its first view comes sooner without compiling it. */
let fcose: Promise<void> | undefined;
const loadFcose = () => (fcose ??= import('cytoscape-fcose').then((m) => cytoscape.use(m.default)));

/**
 * Above this many nodes the graph is large: its references are drawn on the
 * underlay, and its first layout is a grid in the cloud's order (an
 * application's groups are made together, so they end up side by side).
 * fcose's spectral pass (all it runs at "draft" quality) puts alike components,
 * a cloud's many applications built from one template, on the same spot, so
 * every group lies under others (and a click on one opens another); its force
 * pass takes seconds here, more than the 2 s the console has to be interactive.
 */
const LARGE = 400;

/** A large graph's grid cell, around a collapsed group, in model units. */
const CELL = { w: GROUP.width + 40, h: GROUP.height + 42 };
/** A clustered cloud's cell, around a collapsed cluster */
const CLUSTER_CELL = { w: CLUSTER.width + 40, h: CLUSTER.height + 40 };
const PADDING = 40;

declare global {
  interface Window {
    /** the console's cytoscape instance, for debugging and browser tests */
    portsecGraph?: Core;
  }
}

/** Whether an element already is what its definition says (touching it would restyle it). */
function matches(el: cytoscape.SingularElementReturnValue, d: ElementDefinition): boolean {
  const data = el.data() as Record<string, unknown>;
  const keys = Object.keys(d.data);
  return el.classes().join(' ') === (d.classes ?? '') && keys.length === Object.keys(data).length
    && keys.every((k) => data[k] === d.data[k]);
}

/** Applies the wanted elements; returns the ones added (their layout is still to do). */
function sync(cy: Core, defs: ElementDefinition[]): Collection {
  const want = new Map(defs.map((d) => [d.data.id!, d]));
  let added = cy.collection();
  cy.batch(() => {
    cy.remove(cy.elements().filter((e) => !want.has(e.id())));
    const fresh: ElementDefinition[] = [];
    for (const d of defs) {
      const el = cy.getElementById(d.data.id!);
      if (el.empty()) {
        fresh.push(d);
        continue;
      }
      if (matches(el, d)) continue;
      const stale = Object.keys(el.data()).filter((k) => !(k in d.data));
      if (stale.length) el.removeData(stale.join(' '));
      el.data(d.data);
      el.classes(d.classes ?? '');
    }
    if (fresh.length) added = cy.add(fresh);
  });
  return added;
}

/**
 * A large graph's first view: its groups (or a clustered cloud's clusters, the
 * worst first) in the cloud's order on a grid shaped like the view, each
 * project's clusters starting a row of their own, and the view fitted to the
 * grid. Positions given with the elements and a viewport worked out from the
 * grid spare cytoscape a layout and the bounding boxes of a thousand nodes.
 */
function onGrid(cy: Core, defs: ElementDefinition[]): { defs: ElementDefinition[]; viewport: { zoom: number; pan: cytoscape.Position } } {
  const w = cy.width() || 1000;
  const h = cy.height() || 700;
  const clustered = defs.some((d) => isCluster(d));
  const cell = clustered ? CLUSTER_CELL : CELL;
  // what is placed: the clusters (inside their projects) or the groups; project boxes follow their clusters
  const placed = defs.filter((d) => d.group === 'nodes' && (clustered ? isCluster(d) : true));
  const rank = (d: ElementDefinition) => /\bfinding-red\b/.test(String(d.classes)) ? 0 : /\bfinding-amber\b/.test(String(d.classes)) ? 1 : 2;
  const order = clustered ? [...placed].sort((a, b) => String(a.data.parent ?? '').localeCompare(String(b.data.parent ?? '')) || rank(a) - rank(b)) : placed;
  const cols = Math.max(1, Math.round(Math.sqrt((placed.length * w * cell.h) / (h * cell.w))));
  const at = new Map<string, cytoscape.Position>();
  let row = 0;
  let col = 0;
  let parent: unknown;
  for (const d of order) {
    // a project's clusters start a row of their own, a row lower for its label
    if (d.data.parent !== parent && at.size) {
      row += col ? 2 : 1;
      col = 0;
    }
    parent = d.data.parent;
    at.set(d.data.id!, { x: col * cell.w, y: row * cell.h });
    if (++col === cols) {
      col = 0;
      row++;
    }
  }
  const rows = row + (col ? 1 : 0);
  const out = defs.map((d) => {
    const p = at.get(d.data.id!);
    return p ? { ...d, position: p } : d;
  });
  const zoom = Math.min(cy.maxZoom(), Math.max(cy.minZoom(), Math.min((w - 2 * PADDING) / (cols * cell.w), (h - 2 * PADDING) / (rows * cell.h))));
  // the grid's middle in the view's middle
  const pan = { x: w / 2 - (zoom * (cols - 1) * cell.w) / 2, y: h / 2 - (zoom * (rows - 1) * cell.h) / 2 };
  return { defs: out, viewport: { zoom, pan } };
}

const isCluster = (d: ElementDefinition) => /\bcluster\b/.test(String(d.classes ?? ''));

/** Whether the first view can be a grid: nothing inside anything, but clusters inside their projects. */
const gridable = (defs: ElementDefinition[]) => defs.every((d) => d.group !== 'nodes' || !d.data.parent || isCluster(d));

async function layoutAll(cy: Core, first: boolean): Promise<void> {
  const large = cy.nodes().length > LARGE;
  if (!large) await loadFcose();
  const done = new Promise<void>((ok) => cy.one('layoutstop', () => ok()));
  const options: cytoscape.LayoutOptions = large
    ? { name: 'grid', avoidOverlap: true, condense: true, animate: false, fit: true, padding: PADDING }
    : {
      name: 'fcose',
      quality: 'default',
      // fcose refines the current positions only at default quality
      randomize: first,
      animate: !first,
      animationDuration: 300,
      padding: PADDING,
      nodeDimensionsIncludeLabels: true,
      idealEdgeLength: () => 160,
      nodeRepulsion: () => 9000,
      nodeSeparation: 110,
    } as cytoscape.LayoutOptions;
  cy.elements().layout(options).run();
  return done;
}

/**
 * Where the groups about to be opened stand, before their ports come: a
 * compound node is where its children are, and new ones are at the origin.
 */
function opening(cy: Core, defs: ElementDefinition[]): Map<string, cytoscape.Position> {
  const at = new Map<string, cytoscape.Position>();
  for (const d of defs) {
    const parent = d.data.parent;
    if (!parent || at.has(parent) || cy.getElementById(d.data.id!).nonempty()) continue;
    const group = cy.getElementById(parent);
    if (group.nonempty()) at.set(parent, { ...group.position() });
  }
  return at;
}

/**
 * A large graph's newcomers: an expanded group's ports in a grid where the group
 * stood; new groups, and an opened cluster's or project's, in a grid below the
 * rest (a cluster's hundreds of groups where it stood would cover its neighbours).
 */
function placeLocally(cy: Core, added: Collection, before: Map<string, cytoscape.Position>): void {
  const byParent = new Map<string, Collection>();
  for (const n of added.nodes().toArray()) {
    const parent = n.parent().first();
    const key = parent.nonempty() && !added.contains(parent) ? parent.id() : '';
    byParent.set(key, (byParent.get(key) ?? cy.collection()).union(n));
  }
  for (const [parent, nodes] of byParent) {
    const cols = Math.ceil(Math.sqrt(nodes.length));
    const container = parent ? cy.getElementById(parent) : undefined;
    // the box of a thousand nodes is costly: only newcomers placed below the rest need it
    const box = container && !container.is('.cluster, .project') ? undefined : cy.nodes().difference(added).difference(container ?? cy.collection()).boundingBox();
    const at = box ? { x: box.x1 + (cols * 170) / 2, y: box.y2 + 120 } : before.get(parent) ?? { x: 0, y: 0 };
    const w = cols * 170;
    const h = Math.ceil(nodes.length / cols) * 80;
    nodes.layout({ name: 'grid', cols, fit: false, boundingBox: { x1: at.x - w / 2, y1: at.y - h / 2, w, h } }).run();
  }
}

export interface GraphProps {
  /** undefined while the cloud loads */
  elements?: ElementDefinition[];
  selected: Ref | undefined;
  onSelect: (r: Ref | undefined) => void;
  /** called once, when the first layout has been drawn */
  onReady: () => void;
  label: string;
  /** a hidden container has no size: cytoscape measures again when it shows */
  visible: boolean;
}

/** What cytoscape draws and what the underlay draws: in a large graph, every reference but the selected one is a line. */
function split(elements: ElementDefinition[], selected: string | undefined) {
  const large = elements.filter((d) => d.group === 'nodes').length > LARGE;
  if (!large) return { large, drawn: elements, lines: [] };
  const drawn: ElementDefinition[] = [];
  const lines: Line[] = [];
  for (const d of elements) {
    if (d.group !== 'edges' || d.data.ref === selected) {
      drawn.push(d);
      continue;
    }
    const finding = /\bfinding-(red|amber)\b/.exec(String(d.classes ?? ''))?.[1] as Line['finding'];
    lines.push({ source: d.data.source!, target: d.data.target!, ref: d.data.ref as string, label: d.data.label as string, finding });
  }
  return { large, drawn, lines };
}

export function Graph({ elements, selected, onSelect, onReady, label, visible }: GraphProps) {
  const container = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const cyRef = useRef<Core>(undefined);
  const underlayRef = useRef<Underlay>(undefined);
  const laidOut = useRef(false);
  const handlers = useRef({ onSelect, onReady });
  handlers.current = { onSelect, onReady };
  const selectedKey = selected && refKey(selected);
  const view = useMemo(() => elements && split(elements, selectedKey), [elements, selectedKey]);

  useEffect(() => {
    const cy = cytoscape({
      container: container.current!,
      style: graphStyle,
      minZoom: 0.02,
      maxZoom: 3,
      textureOnViewport: true,
      hideEdgesOnViewport: true,
      selectionType: 'single',
      boxSelectionEnabled: false,
    });
    const underlay = new Underlay(cy, canvas.current!);
    const title = (text: string) => {
      container.current!.title = text;
    };
    cy.on('tap', (e) => {
      if (e.target !== cy) return;
      const line = underlay.hit(e.position);
      handlers.current.onSelect(line && parseRef(line.ref));
    });
    // an open cluster or group is a box around others: a reference drawn across it is picked before the box
    cy.on('tap', 'node, edge', (e) => {
      const line = e.target.isNode() && e.target.isParent() ? underlay.hit(e.position) : undefined;
      handlers.current.onSelect(parseRef(line?.ref ?? e.target.data('ref')));
    });
    // the full name on hover (labels cut long names); a quiet edge shows its label while hovered
    cy.on('mouseover', 'node, edge', (e) => {
      title(String(e.target.data('title') ?? e.target.data('label')));
      e.target.addClass('hover');
    });
    cy.on('mouseout', 'node, edge', (e) => {
      title('');
      e.target.removeClass('hover');
    });
    cy.on('mousemove', (e) => {
      if (e.target === cy) title(underlay.hit(e.position)?.label ?? '');
    });
    cyRef.current = cy;
    underlayRef.current = underlay;
    window.portsecGraph = cy;
    return () => {
      underlay.destroy();
      cy.destroy();
      delete window.portsecGraph;
    };
  }, []);

  useEffect(() => {
    if (!view) return;
    const cy = cyRef.current!;
    const before = opening(cy, view.drawn);
    const first = !laidOut.current;
    // a thousand groups, none of them open: a grid of known cells (open ones, compound nodes, need the grid layout's measuring)
    const grid = first && (view.large || view.drawn.some(isCluster)) && gridable(view.drawn) ? onGrid(cy, view.drawn) : undefined;
    const added = sync(cy, grid?.defs ?? view.drawn);
    underlayRef.current!.set(view.lines);
    if (added.empty() && laidOut.current) return;
    laidOut.current = true;
    if (cy.nodes().empty()) {
      handlers.current.onReady();
      return;
    }
    if (grid) {
      cy.viewport(grid.viewport);
      cy.one('render', () => handlers.current.onReady());
      return;
    }
    if (!first && view.large) {
      placeLocally(cy, added, before);
      return;
    }
    void layoutAll(cy, first).then(() => {
      if (first) requestAnimationFrame(() => handlers.current.onReady());
    });
  }, [view]);

  useEffect(() => {
    const cy = cyRef.current!;
    cy.elements(':selected').unselect();
    if (!selectedKey) return;
    const hit = cy.elements().filter((e) => e.data('ref') === selectedKey);
    hit.select();
    const ext = cy.extent();
    const box = hit.boundingBox();
    const inView = box.x1 >= ext.x1 && box.x2 <= ext.x2 && box.y1 >= ext.y1 && box.y2 <= ext.y2;
    if (hit.nonempty() && !inView) cy.animate({ center: { eles: hit }, zoom: Math.max(cy.zoom(), 0.6), duration: 250 });
  }, [selectedKey, view]);

  useEffect(() => {
    if (visible) cyRef.current!.resize();
  }, [visible]);

  return (
    <div class="graph-canvas">
      <canvas ref={canvas} aria-hidden="true" />
      <div ref={container} role="img" aria-label={label} />
    </div>
  );
}
