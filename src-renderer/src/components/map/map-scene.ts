// The WebGL side of the map: one THREE.Points for every latent, a few marker rings (hover,
// selection, link ends), the feature-splitting link segments, two cameras (3-D perspective orbit,
// 2-D orthographic pan/zoom) and screen-grid picking. Renders on demand: a frame is drawn only when
// the camera, the data or a marker changed. The rings and links live on a transparent overlay canvas
// of their own, so hovering from point to point redraws a few dozen vertices, not every latent
// (on a software rasteriser a full frame of 344k points takes hundreds of milliseconds). Level of detail: while the camera moves, a frame draws a
// density-weighted sample of MOTION_POINTS points (draw-order.ts); once it has rested for SETTLE_MS,
// one frame draws them all. Picking always searches every point.
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { drawOrder } from './draw-order.js';
import type { MapPoints, Rgb } from './map-points.js';
import { markerMaterial, pointMaterial, pointSizeFor } from './point-material.js';
import { projectToScreen } from './projection.js';
import { ScreenGrid } from './screen-grid.js';

export type MapMode = '2d' | '3d';

export interface Marker {
  point: number;
  color: Rgb;
  /** Ring diameter in CSS pixels. */
  size: number;
}

const CELL_PX = 16;
const FOCUS_MS = 350;
const MAX_MARKERS = 64;
/**
 * Points drawn per frame while the camera moves: on Chromium's software rasteriser (SwiftShader) a
 * frame of 344k points took about three times as long as one of 100k (docs/benchmarks.md).
 */
export const MOTION_POINTS = 100_000;
/** Rest after the last camera change before the full set is drawn. */
const SETTLE_MS = 150;

export class MapScene {
  private readonly renderer: THREE.WebGLRenderer;
  private readonly overlayRenderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly overlay = new THREE.Scene();
  private readonly perspective = new THREE.PerspectiveCamera(50, 1, 0.01, 100);
  private readonly orthographic = new THREE.OrthographicCamera(-1, 1, 1, -1, -10, 10);
  private camera: THREE.PerspectiveCamera | THREE.OrthographicCamera = this.perspective;
  private controls: OrbitControls;
  private readonly geometry = new THREE.BufferGeometry();
  private readonly material: THREE.ShaderMaterial;
  private readonly markerGeometry = new THREE.BufferGeometry();
  private readonly markerMaterial: THREE.ShaderMaterial;
  private readonly linkGeometry = new THREE.BufferGeometry();
  private readonly linkMaterial = new THREE.LineBasicMaterial({ vertexColors: true, transparent: true, opacity: 0.8, depthTest: false });
  private points: MapPoints | null = null;
  private mode: MapMode = '3d';
  private width = 1;
  private height = 1;
  private dirty = true;
  private overlayDirty = true;
  private gridDirty = true;
  private grid: ScreenGrid | null = null;
  private screen = new Float32Array(0);
  private frame = 0;
  private gridTimer: ReturnType<typeof setTimeout> | undefined;
  private focusAnimation: { from: THREE.Vector3; to: THREE.Vector3; start: number } | null = null;
  /** When the camera last changed (performance.now()), for the level of detail. */
  private lastMotion = -Infinity;
  /** The last frame drew only the motion sample, so a full one is owed once the camera rests. */
  private coarse = false;
  private readonly onChange = (): void => this.moved();

  /** Wall time of the last render call in ms (CPU side), for diagnostics. */
  lastRenderMs = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** Stacked over `canvas`, the same size, letting pointer events through. */
    overlayCanvas: HTMLCanvasElement,
    /** CSS colour of the empty space, e.g. "#101318". */
    background: string,
  ) {
    // No MSAA: the points are round by their shader, so it would only smooth the thin link lines, and
    // on a software rasteriser (SwiftShader) it cost about a fifth of every 100k-point frame.
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: false, powerPreference: 'high-performance' });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.overlayRenderer = new THREE.WebGLRenderer({ canvas: overlayCanvas, antialias: false, alpha: true });
    this.overlayRenderer.setPixelRatio(this.renderer.getPixelRatio());
    this.overlayRenderer.setClearColor(0x000000, 0);
    this.scene.background = new THREE.Color(background);
    const ratio = this.renderer.getPixelRatio();
    this.material = pointMaterial(pointSizeFor(0), ratio);
    this.markerMaterial = markerMaterial(ratio);
    this.scene.add(new THREE.Points(this.geometry, this.material));
    const links = new THREE.LineSegments(this.linkGeometry, this.linkMaterial);
    links.renderOrder = 1;
    this.overlay.add(links);
    const markers = new THREE.Points(this.markerGeometry, this.markerMaterial);
    markers.renderOrder = 2;
    markers.frustumCulled = false;
    this.overlay.add(markers);
    this.markerGeometry.setAttribute('position', new THREE.BufferAttribute(new Float32Array(MAX_MARKERS * 3), 3));
    this.markerGeometry.setAttribute('pointColor', new THREE.BufferAttribute(new Float32Array(MAX_MARKERS * 3), 3));
    this.markerGeometry.setAttribute('pointSize', new THREE.BufferAttribute(new Float32Array(MAX_MARKERS), 1));
    this.markerGeometry.setDrawRange(0, 0);
    this.perspective.position.set(0, 0, 3.2);
    this.orthographic.position.set(0, 0, 5);
    this.controls = this.makeControls();
    this.loop();
  }

  /** Replaces every point; the view is reset to show the whole map. */
  setPoints(points: MapPoints): void {
    this.points = points;
    this.screen = new Float32Array(points.count * 3);
    this.geometry.setAttribute('position', new THREE.BufferAttribute(new Float32Array(this.positions()), 3));
    this.geometry.setAttribute('pointColor', new THREE.BufferAttribute(new Float32Array(points.colors), 3));
    this.geometry.setIndex(new THREE.BufferAttribute(drawOrder(points.positions3), 1));
    this.geometry.computeBoundingSphere();
    this.material.uniforms.pointSize!.value = pointSizeFor(points.count);
    this.resetView();
  }

  /** Per-point colours [count * 3], e.g. with search misses dimmed. */
  setColors(colors: Float32Array): void {
    const attribute = this.geometry.getAttribute('pointColor') as THREE.BufferAttribute | undefined;
    if (!attribute || attribute.array.length !== colors.length) return;
    (attribute.array as Float32Array).set(colors);
    attribute.needsUpdate = true;
    this.dirty = true;
  }

  setMode(mode: MapMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    this.camera = mode === '3d' ? this.perspective : this.orthographic;
    this.controls.removeEventListener('change', this.onChange);
    this.controls.dispose();
    this.controls = this.makeControls();
    if (this.points) {
      const attribute = this.geometry.getAttribute('position') as THREE.BufferAttribute;
      (attribute.array as Float32Array).set(this.positions());
      attribute.needsUpdate = true;
      this.geometry.computeBoundingSphere();
    }
    this.resetView();
  }

  /** Current positions [count * 3]: 3-D, or 2-D flattened to z = 0. */
  positions(): Float32Array {
    if (!this.points) return new Float32Array(0);
    return this.mode === '3d' ? this.points.positions3 : this.points.positions2;
  }

  setMarkers(markers: Marker[]): void {
    const positions = this.positions();
    const shown = markers.filter((m) => m.point >= 0 && 3 * m.point < positions.length).slice(0, MAX_MARKERS);
    const position = this.markerGeometry.getAttribute('position') as THREE.BufferAttribute;
    const color = this.markerGeometry.getAttribute('pointColor') as THREE.BufferAttribute;
    const size = this.markerGeometry.getAttribute('pointSize') as THREE.BufferAttribute;
    shown.forEach((m, j) => {
      (position.array as Float32Array).set(positions.subarray(3 * m.point, 3 * m.point + 3), 3 * j);
      (color.array as Float32Array).set(m.color, 3 * j);
      (size.array as Float32Array)[j] = m.size;
    });
    position.needsUpdate = color.needsUpdate = size.needsUpdate = true;
    this.markerGeometry.setDrawRange(0, shown.length);
    this.overlayDirty = true;
  }

  /**
   * Link segments [segments * 6] in the current positions' space, each drawn brighter the larger its
   * `strengths` entry (decoder cosine, [segments]); empty removes them.
   */
  setLinks(segments: Float32Array, strengths: Float32Array): void {
    const colors = new Float32Array(segments.length);
    for (let j = 0; j < strengths.length; j++) colors.fill(0.2 + 0.8 * THREE.MathUtils.clamp(strengths[j]!, 0, 1), 6 * j, 6 * j + 6);
    this.linkGeometry.setAttribute('position', new THREE.BufferAttribute(segments, 3));
    this.linkGeometry.setAttribute('color', new THREE.BufferAttribute(colors, 3));
    this.linkGeometry.computeBoundingSphere();
    this.overlayDirty = true;
  }

  /** Resizes the drawing buffer to the canvas's CSS size. */
  resize(width: number, height: number): void {
    this.width = Math.max(1, Math.round(width));
    this.height = Math.max(1, Math.round(height));
    this.renderer.setSize(this.width, this.height, false);
    this.overlayRenderer.setSize(this.width, this.height, false);
    this.updateProjection();
    this.invalidate();
  }

  /** The point under CSS pixel (x, y) of the canvas, or -1. */
  pick(x: number, y: number): number {
    if (!this.points) return -1;
    const radius = Math.max(5, this.material.uniforms.pointSize!.value / 2 + 3);
    return this.currentGrid().nearest(x, y, radius);
  }

  /** The picking grid for the camera as it is, rebuilt when the camera or the points changed. */
  private currentGrid(): ScreenGrid {
    if (this.gridDirty || !this.grid) {
      this.camera.updateMatrixWorld();
      const viewProjection = new THREE.Matrix4().multiplyMatrices(this.camera.projectionMatrix, this.camera.matrixWorldInverse);
      projectToScreen(this.positions(), viewProjection.elements, this.width, this.height, this.screen);
      this.grid = ScreenGrid.build(this.screen, this.width, this.height, CELL_PX);
      this.gridDirty = false;
    }
    return this.grid;
  }

  /** Where point i is on the canvas in CSS pixels, or null when off screen. */
  screenPosition(i: number): { x: number; y: number } | null {
    const positions = this.positions();
    if (i < 0 || 3 * i >= positions.length) return null;
    const v = new THREE.Vector3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]).project(this.camera);
    if (Math.abs(v.x) > 1 || Math.abs(v.y) > 1 || Math.abs(v.z) > 1) return null;
    return { x: ((v.x + 1) / 2) * this.width, y: ((1 - v.y) / 2) * this.height };
  }

  /** Glides the view's centre to point i, keeping the viewing direction and distance. */
  focus(i: number): void {
    const positions = this.positions();
    if (i < 0 || 3 * i >= positions.length) return;
    const to = new THREE.Vector3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]);
    this.focusAnimation = { from: this.controls.target.clone(), to, start: performance.now() };
    this.invalidate();
  }

  /** Keyboard navigation: pan by a fraction of the view, or zoom by a factor (> 1 zooms in). */
  pan(dx: number, dy: number): void {
    const span = this.mode === '3d' ? this.perspective.position.distanceTo(this.controls.target) * 0.5 : 1 / this.orthographic.zoom;
    const right = new THREE.Vector3().setFromMatrixColumn(this.camera.matrix, 0).multiplyScalar(dx * span);
    const up = new THREE.Vector3().setFromMatrixColumn(this.camera.matrix, 1).multiplyScalar(dy * span);
    const offset = right.add(up);
    this.camera.position.add(offset);
    this.controls.target.add(offset);
    this.controls.update();
    this.moved();
  }

  zoom(factor: number): void {
    if (this.mode === '3d') {
      const offset = this.perspective.position.clone().sub(this.controls.target).divideScalar(factor);
      const distance = THREE.MathUtils.clamp(offset.length(), this.controls.minDistance, this.controls.maxDistance);
      this.perspective.position.copy(this.controls.target).add(offset.setLength(distance));
    } else {
      this.orthographic.zoom = THREE.MathUtils.clamp(this.orthographic.zoom * factor, this.controls.minZoom, this.controls.maxZoom);
      this.orthographic.updateProjectionMatrix();
    }
    this.controls.update();
    this.moved();
  }

  resetView(): void {
    this.focusAnimation = null;
    this.controls.target.set(0, 0, 0);
    if (this.mode === '3d') this.perspective.position.set(1.1, 0.7, 2.7);
    else {
      this.orthographic.position.set(0, 0, 5);
      this.orthographic.zoom = 1;
    }
    this.camera.lookAt(0, 0, 0);
    this.updateProjection();
    this.controls.update();
    this.invalidate();
  }

  /** The points' frame, the overlay's and the picking grid are stale (camera or data changed). */
  invalidate(): void {
    this.dirty = true;
    this.overlayDirty = true;
    this.gridDirty = true;
  }

  private moved(): void {
    this.lastMotion = performance.now();
    this.invalidate();
  }

  dispose(): void {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.gridTimer);
    this.controls.removeEventListener('change', this.onChange);
    this.controls.dispose();
    this.geometry.dispose();
    this.material.dispose();
    this.markerGeometry.dispose();
    this.markerMaterial.dispose();
    this.linkGeometry.dispose();
    this.linkMaterial.dispose();
    for (const renderer of [this.renderer, this.overlayRenderer]) {
      renderer.dispose();
      renderer.forceContextLoss();
    }
  }

  private makeControls(): OrbitControls {
    const controls = new OrbitControls(this.camera, this.canvas);
    controls.enableDamping = true;
    controls.dampingFactor = 0.15;
    controls.zoomToCursor = true;
    controls.minDistance = 0.05;
    controls.maxDistance = 12;
    controls.minZoom = 0.3;
    controls.maxZoom = 400;
    if (this.mode === '2d') {
      controls.enableRotate = false;
      controls.screenSpacePanning = true;
      controls.mouseButtons = { LEFT: THREE.MOUSE.PAN, MIDDLE: THREE.MOUSE.DOLLY, RIGHT: THREE.MOUSE.PAN };
      controls.touches = { ONE: THREE.TOUCH.PAN, TWO: THREE.TOUCH.DOLLY_PAN };
    }
    controls.addEventListener('change', this.onChange);
    return controls;
  }

  private updateProjection(): void {
    const aspect = this.width / this.height;
    this.perspective.aspect = aspect;
    this.perspective.updateProjectionMatrix();
    // The orthographic frustum shows the unit box with a margin, whichever side of the canvas is shorter.
    const half = 1.12;
    const halfWidth = aspect >= 1 ? half * aspect : half;
    const halfHeight = aspect >= 1 ? half : half / aspect;
    Object.assign(this.orthographic, { left: -halfWidth, right: halfWidth, top: halfHeight, bottom: -halfHeight });
    this.orthographic.updateProjectionMatrix();
  }

  private stepFocus(now: number): void {
    const animation = this.focusAnimation;
    if (!animation) return;
    const t = Math.min(1, (now - animation.start) / FOCUS_MS);
    const eased = 1 - (1 - t) ** 3;
    const next = animation.from.clone().lerp(animation.to, eased);
    this.camera.position.add(next.clone().sub(this.controls.target));
    this.controls.target.copy(next);
    if (t === 1) this.focusAnimation = null;
    this.moved();
  }

  private loop = (): void => {
    this.frame = requestAnimationFrame(this.loop);
    this.stepFocus(performance.now());
    this.controls.update();
    if (this.overlayDirty) {
      this.overlayDirty = false;
      this.overlayRenderer.render(this.overlay, this.camera);
    }
    const moving = performance.now() - this.lastMotion < SETTLE_MS;
    if (!this.dirty && !(this.coarse && !moving)) return;
    this.dirty = false;
    const all = this.points?.count ?? 0;
    this.coarse = moving && all > MOTION_POINTS;
    this.geometry.setDrawRange(0, this.coarse ? MOTION_POINTS : all);
    const start = performance.now();
    this.renderer.render(this.scene, this.camera);
    this.lastRenderMs = performance.now() - start;
    // Once the camera rests, the grid is built in the next task rather than in the first hover's
    // handler: projecting 344k points and bucketing them takes tens of milliseconds.
    if (!this.coarse && !moving && this.points && this.gridDirty) {
      clearTimeout(this.gridTimer);
      this.gridTimer = setTimeout(() => performance.now() - this.lastMotion >= SETTLE_MS && this.currentGrid(), 0);
    }
  };
}
