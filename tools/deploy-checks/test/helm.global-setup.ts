// Jest globalSetup of the integration tier: build the pinned Helm with `go install` if it is not
// cached yet (about 5 minutes cold on a 2-core machine; instant afterwards).
import { installHelm } from '../src/helm.ts';

export default function helmSetup(): void {
  installHelm(30 * 60_000);
}
