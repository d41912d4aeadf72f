/**
 * The cytoscape view. Elements are synced by id (a refetch keeps positions), and
 * laid out by fcose when the graph is small, by a grid when it is large; in a
 * large graph later additions are placed locally, so an expanded group does not
 * reshuffle a thousand others.
 */
import cytoscape, { type Collection, type Core, type ElementDefinition } from 'cytoscape';
import fcose from 'cytoscape-fcose';
import { useEffect, useRef } from 'preact/hooks';
import { parseRef, type Ref, refKey } from './elements.js';
import { graphStyle } from './style.js';

cytoscape.use(fcose);

/**
 * Above this many nodes the first layout is a grid in the cloud's order (an
 * application's groups are made together, so they end up side by side).
 * fcose's spectral pass (all it runs at "draft" quality) puts alike components,
 * a cloud's many applications built from one template, on the same spot, so
 * every group lies under others (and a click on one opens another); its force
 * pass takes seconds here, more than the 2 s the console has to be interactive.
 */
const LARGE = 400;

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

function layoutAll(cy: Core, first: boolean): Promise<void> {
  const done = new Promise<void>((ok) => cy.one('layoutstop', () => ok()));
  const large = cy.nodes().length > LARGE;
  const options: cytoscape.LayoutOptions = large
    ? { name: 'grid', avoidOverlap: true, condense: true, animate: false, fit: true, padding: 40 }
    : {
      name: 'fcose',
      quality: 'default',
      // fcose refines the current positions only at default quality
      randomize: first,
      animate: !first,
      animationDuration: 300,
      padding: 40,
      nodeDimensionsIncludeLabels: true,
      idealEdgeLength: () => 160,
      nodeRepulsion: () => 9000,
      nodeSeparation: 110,
    } as cytoscape.LayoutOptions;
  // fitting a large graph to its nodes spares measuring three thousand edges first
  (large ? cy.nodes() : cy.elements()).layout(options).run();
  return done;
}

/** A large graph's newcomers: an expanded group's ports in a grid where the group stood, new groups in a row below. */
function placeLocally(cy: Core, added: Collection, before: Map<string, cytoscape.Position>): void {
  const byParent = new Map<string, Collection>();
  for (const n of added.nodes().toArray()) {
    const parent = n.parent().first();
    const key = parent.nonempty() && !added.contains(parent) ? parent.id() : '';
    byParent.set(key, (byParent.get(key) ?? cy.collection()).union(n));
  }
  for (const [parent, nodes] of byParent) {
    const cols = Math.ceil(Math.sqrt(nodes.length));
    // the box of a thousand nodes is costly: only new groups need it
    const box = parent ? undefined : cy.nodes().difference(added).boundingBox();
    const at = box ? { x: box.x1 + (cols * 170) / 2, y: box.y2 + 120 } : before.get(parent) ?? { x: 0, y: 0 };
    const w = cols * 170;
    const h = Math.ceil(nodes.length / cols) * 80;
    nodes.layout({ name: 'grid', cols, fit: false, boundingBox: { x1: at.x - w / 2, y1: at.y - h / 2, w, h } }).run();
  }
}

export interface GraphProps {
  elements: ElementDefinition[];
  selected: Ref | undefined;
  onSelect: (r: Ref | undefined) => void;
  /** called once, when the first layout has been drawn */
  onReady: () => void;
  label: string;
  /** a hidden container has no size: cytoscape measures again when it shows */
  visible: boolean;
}

export function Graph({ elements, selected, onSelect, onReady, label, visible }: GraphProps) {
  const container = useRef<HTMLDivElement>(null);
  const cyRef = useRef<Core>(undefined);
  const laidOut = useRef(false);
  const styledLarge = useRef(false);
  const handlers = useRef({ onSelect, onReady });
  handlers.current = { onSelect, onReady };

  useEffect(() => {
    const cy = cytoscape({
      container: container.current!,
      style: graphStyle(false),
      minZoom: 0.02,
      maxZoom: 3,
      textureOnViewport: true,
      hideEdgesOnViewport: true,
      selectionType: 'single',
      boxSelectionEnabled: false,
    });
    cy.on('tap', (e) => {
      if (e.target === cy) handlers.current.onSelect(undefined);
    });
    cy.on('tap', 'node, edge', (e) => handlers.current.onSelect(parseRef(e.target.data('ref'))));
    cy.on('mouseover', 'node, edge', (e) => {
      container.current!.title = String(e.target.data('label'));
    });
    cy.on('mouseout', 'node, edge', () => {
      container.current!.title = '';
    });
    cyRef.current = cy;
    window.portsecGraph = cy;
    return () => {
      cy.destroy();
      delete window.portsecGraph;
    };
  }, []);

  useEffect(() => {
    const cy = cyRef.current!;
    const large = elements.filter((d) => d.group === 'nodes').length > LARGE;
    // before the elements come: styling them twice would cost what the large style saves
    if (large !== styledLarge.current) cy.style(graphStyle(large));
    styledLarge.current = large;
    const before = new Map(cy.nodes().map((n) => [n.id(), { ...n.position() }]));
    const added = sync(cy, elements);
    if (added.empty() && laidOut.current) return;
    const first = !laidOut.current;
    laidOut.current = true;
    if (cy.nodes().empty()) {
      handlers.current.onReady();
      return;
    }
    if (!first && cy.nodes().length > LARGE) {
      placeLocally(cy, added, before);
      return;
    }
    void layoutAll(cy, first).then(() => {
      if (first) requestAnimationFrame(() => handlers.current.onReady());
    });
  }, [elements]);

  useEffect(() => {
    const cy = cyRef.current!;
    cy.elements(':selected').unselect();
    if (!selected) return;
    const key = refKey(selected);
    const hit = cy.elements().filter((e) => e.data('ref') === key);
    hit.select();
    const ext = cy.extent();
    const box = hit.boundingBox();
    const inView = box.x1 >= ext.x1 && box.x2 <= ext.x2 && box.y1 >= ext.y1 && box.y2 <= ext.y2;
    if (hit.nonempty() && !inView) cy.animate({ center: { eles: hit }, zoom: Math.max(cy.zoom(), 0.6), duration: 250 });
  }, [selected, elements]);

  useEffect(() => {
    if (visible) cyRef.current!.resize();
  }, [visible]);

  return <div class="graph-canvas" ref={container} role="img" aria-label={label} />;
}
