import * as THREE from 'three';
import { describe, expect, it } from 'vitest';
import { projectToScreen } from '../../../src-renderer/src/components/map/projection.js';

function viewProjection(camera: THREE.Camera & { updateProjectionMatrix(): void }): number[] {
  camera.updateMatrixWorld();
  camera.updateProjectionMatrix();
  return new THREE.Matrix4().multiplyMatrices(camera.projectionMatrix, camera.matrixWorldInverse).elements;
}

describe('projectToScreen', () => {
  it('agrees with three.js Vector3.project for a perspective camera', () => {
    const camera = new THREE.PerspectiveCamera(50, 800 / 600, 0.01, 100);
    camera.position.set(0.4, -0.3, 3);
    camera.lookAt(0.1, 0, 0);
    const positions = new Float32Array([0, 0, 0, 0.5, -0.25, 0.8, -1, 1, -1]);
    const out = projectToScreen(positions, viewProjection(camera), 800, 600, new Float32Array(9));
    for (let i = 0; i < 3; i++) {
      const v = new THREE.Vector3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]).project(camera);
      expect(out[3 * i]).toBeCloseTo(((v.x + 1) / 2) * 800, 2);
      expect(out[3 * i + 1]).toBeCloseTo(((1 - v.y) / 2) * 600, 2);
      expect(out[3 * i + 2]).toBeCloseTo(v.z, 5);
    }
  });

  it('maps the orthographic frustum corners to the canvas corners', () => {
    const camera = new THREE.OrthographicCamera(-2, 2, 1, -1, -10, 10);
    camera.position.set(0, 0, 5);
    const out = projectToScreen(new Float32Array([-2, 1, 0, 2, -1, 0, 0, 0, 0]), viewProjection(camera), 400, 200, new Float32Array(9));
    expect(Array.from(out.subarray(0, 2))).toEqual([0, 0]);
    expect(Array.from(out.subarray(3, 5))).toEqual([400, 200]);
    expect(Array.from(out.subarray(6, 8))).toEqual([200, 100]);
  });

  it('marks points behind the camera with NaN', () => {
    const camera = new THREE.PerspectiveCamera(50, 1, 0.01, 100);
    camera.position.set(0, 0, 3);
    const out = projectToScreen(new Float32Array([0, 0, 5, 0, 0, 0]), viewProjection(camera), 100, 100, new Float32Array(6));
    expect(Number.isNaN(out[0])).toBe(true);
    expect(out[3]).toBeCloseTo(50, 6);
  });
});
