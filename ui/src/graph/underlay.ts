/**
 * A large graph's references, drawn on a canvas under cytoscape's. As cytoscape
 * edges, three thousand of them cost the console most of its first second: each
 * is styled, measured, projected and cached on its own. Drawn here they are a
 * few paths, a few milliseconds, redrawn as the view moves. Taps and hovers on
 * the background find the line under the pointer, so a reference can still be
 * selected (and the selected one becomes a cytoscape edge).
 */
import type { Core, Position } from 'cytoscape';
import { AMBER, GROUP, MUTED, RED } from './style.js';

export interface Line {
  source: string;
  target: string;
  /** what selecting the line selects (data(ref) of the edge it stands for) */
  ref: string;
  label: string;
  /** the colour of the worst finding on it, as the edges' style draws it */
  finding?: 'red' | 'amber';
}

/** Line colours and widths (model units) as the style gives cytoscape's edges; red drawn last, on top. */
const TONES = [
  { finding: undefined, colour: MUTED, width: 2 },
  { finding: 'amber', colour: AMBER, width: 4 },
  { finding: 'red', colour: RED, width: 4 },
] as const;
const ARROW = 12;
const RING = 18;
/** how near (in screen pixels) a tap must be to pick a line */
const REACH = 6;

/** Where a line was last drawn: a segment between two groups, or a ring on a group naming itself. */
type Shape = { line: Line; a: Position; b: Position } | { line: Line; ring: Position };

export class Underlay {
  private lines: Line[] = [];
  private shapes: Shape[] = [];
  /** the nodes' positions: cytoscape's own objects, which moving a node updates; made again when nodes come or go */
  private at?: Map<string, Position>;
  private frame = 0;

  constructor(private readonly cy: Core, private readonly canvas: HTMLCanvasElement) {
    cy.on('viewport resize position', () => this.schedule());
    cy.on('add remove', 'node', () => {
      this.at = undefined;
      this.schedule();
    });
  }

  set(lines: Line[]): void {
    this.lines = lines;
    this.draw();
  }

  /** The line within reach of a point (model coordinates), for taps and hovers. */
  hit(p: Position): Line | undefined {
    let best: Line | undefined;
    let nearest = REACH / this.cy.zoom();
    for (const s of this.shapes) {
      const d = 'ring' in s ? Math.abs(distance(p, s.ring) - RING) : segmentDistance(p, s.a, s.b);
      if (d < nearest) {
        nearest = d;
        best = s.line;
      }
    }
    return best;
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.draw());
  }

  private draw(): void {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.shapes = this.place();
    // how many references are drawn here, for people and tests inspecting the page
    const count = String(this.shapes.length);
    if (this.canvas.dataset.lines !== count) this.canvas.dataset.lines = count;
    const ratio = window.devicePixelRatio;
    const w = Math.round(this.cy.width() * ratio);
    const h = Math.round(this.cy.height() * ratio);
    if (this.canvas.width !== w || this.canvas.height !== h) Object.assign(this.canvas, { width: w, height: h });
    const ctx = this.canvas.getContext('2d')!;
    ctx.resetTransform();
    ctx.clearRect(0, 0, w, h);
    const zoom = this.cy.zoom();
    const pan = this.cy.pan();
    ctx.setTransform(ratio * zoom, 0, 0, ratio * zoom, ratio * pan.x, ratio * pan.y);
    for (const tone of TONES) {
      const lines = new Path2D();
      const arrows = new Path2D();
      for (const s of this.shapes) if (s.line.finding === tone.finding) trace(s, lines, arrows);
      ctx.strokeStyle = ctx.fillStyle = tone.colour;
      ctx.lineWidth = tone.width;
      ctx.stroke(lines);
      ctx.fill(arrows);
    }
  }

  /** The lines' geometry from the nodes' positions (reading a thousand of them through cytoscape on every frame would cost more than drawing). */
  private place(): Shape[] {
    if (!this.at) {
      const at = new Map<string, Position>();
      this.cy.nodes().forEach((n) => {
        at.set(n.id(), n.position());
      });
      this.at = at;
    }
    const at = this.at;
    // an expanded group is a compound node: where it is and how large follow its ports (reading its position brings it up to date);
    // a collapsed one has the style's size
    const open = new Map(this.cy.nodes(':parent').map((n) => [n.id(), { at: n.position(), w: n.width(), h: n.height() }]));
    const where = (id: string) => open.get(id)?.at ?? at.get(id);
    const shapes: Shape[] = [];
    for (const line of this.lines) {
      const a = where(line.source);
      const b = where(line.target);
      if (!a || !b) continue;
      if (line.source !== line.target) {
        shapes.push({ line, a, b });
        continue;
      }
      const size = open.get(line.source) ?? { w: GROUP.width, h: GROUP.height };
      shapes.push({ line, ring: { x: a.x + size.w / 2, y: a.y - size.h / 2 } });
    }
    return shapes;
  }
}

/** A line and its mid arrow (the direction traffic flows), or a group's ring. */
function trace(s: Shape, lines: Path2D, arrows: Path2D): void {
  if ('ring' in s) {
    lines.moveTo(s.ring.x + RING, s.ring.y);
    lines.arc(s.ring.x, s.ring.y, RING, 0, 2 * Math.PI);
    return;
  }
  const { a, b } = s;
  lines.moveTo(a.x, a.y);
  lines.lineTo(b.x, b.y);
  const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  const ux = (b.x - a.x) / len;
  const uy = (b.y - a.y) / len;
  const tip = { x: (a.x + b.x + ux * ARROW) / 2, y: (a.y + b.y + uy * ARROW) / 2 };
  arrows.moveTo(tip.x, tip.y);
  arrows.lineTo(tip.x - ux * ARROW - (uy * ARROW) / 2, tip.y - uy * ARROW + (ux * ARROW) / 2);
  arrows.lineTo(tip.x - ux * ARROW + (uy * ARROW) / 2, tip.y - uy * ARROW - (ux * ARROW) / 2);
}

const distance = (a: Position, b: Position) => Math.hypot(a.x - b.x, a.y - b.y);

function segmentDistance(p: Position, a: Position, b: Position): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const t = dx || dy ? Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / (dx * dx + dy * dy))) : 0;
  return distance(p, { x: a.x + t * dx, y: a.y + t * dy });
}
