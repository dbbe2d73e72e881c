// Round, fixed-pixel-size points (no size attenuation): a dot stays the same size however far you
// zoom, which keeps 100k points legible and makes the picking radius a constant number of pixels.
// Markers (hover, selection, link ends) use the same shader drawn as rings with a per-point size.
import * as THREE from 'three';

const VERTEX = /* glsl */ `
  attribute vec3 pointColor;
  #ifdef MARKER
  attribute float pointSize;
  #else
  uniform float pointSize;
  #endif
  uniform float pixelRatio;
  varying vec3 vColor;
  void main() {
    vColor = pointColor;
    gl_PointSize = pointSize * pixelRatio;
    gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
  }
`;

const FRAGMENT = /* glsl */ `
  varying vec3 vColor;
  void main() {
    float r = length(gl_PointCoord - vec2(0.5)) * 2.0;
    #ifdef MARKER
    // A ring with a dark halo, readable over bright and dark clusters alike.
    float ring = smoothstep(0.55, 0.65, r) * (1.0 - smoothstep(0.85, 1.0, r));
    float halo = smoothstep(0.4, 0.55, r) * (1.0 - smoothstep(0.95, 1.0, r));
    float alpha = max(ring, halo * 0.6);
    if (alpha < 0.05) discard;
    gl_FragColor = vec4(mix(vec3(0.0), vColor, ring), alpha);
    #else
    if (r > 1.0) discard;
    gl_FragColor = vec4(vColor * (1.0 - 0.25 * r * r), 1.0);
    #endif
  }
`;

export function pointMaterial(pointSize: number, pixelRatio: number): THREE.ShaderMaterial {
  return new THREE.ShaderMaterial({
    vertexShader: VERTEX,
    fragmentShader: FRAGMENT,
    uniforms: { pointSize: { value: pointSize }, pixelRatio: { value: pixelRatio } },
  });
}

export function markerMaterial(pixelRatio: number): THREE.ShaderMaterial {
  return new THREE.ShaderMaterial({
    vertexShader: VERTEX,
    fragmentShader: FRAGMENT,
    defines: { MARKER: '' },
    uniforms: { pixelRatio: { value: pixelRatio } },
    transparent: true,
    depthTest: false,
    depthWrite: false,
  });
}

/** Dot size in CSS pixels: big enough to hit on a small map, small enough not to blot out 100k. */
export function pointSizeFor(count: number): number {
  if (count <= 2_000) return 7;
  if (count <= 20_000) return 5;
  if (count <= 80_000) return 3.5;
  return 2.5;
}
