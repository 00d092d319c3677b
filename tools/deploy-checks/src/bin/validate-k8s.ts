/**
 * Validates Kubernetes objects against their schemas with kubernetes-models (core and apps
 * objects) and @kubernetes-models/keda (ScaledObject, TriggerAuthentication): each object is
 * constructed as its model class and `.validate()`d.
 *
 *   node tools/deploy-checks/src/bin/validate-k8s.ts < objects.json
 *
 * stdin: a JSON array of objects; stdout: a JSON array, per object, of
 * `{ apiVersion, kind, name, errors }` (errors empty when valid). Runs as a separate Node process
 * because those packages are ESM only and Jest here runs CommonJS.
 */
import { readFileSync } from 'node:fs';
import { KubernetesModelFactory } from '../k8s-models.ts';

const input = JSON.parse(readFileSync(0, 'utf8')) as Record<string, unknown>[];
const results = input.map((object) => KubernetesModelFactory.validate(object));
process.stdout.write(JSON.stringify(results));
