// ESM-only dependencies: this module is loaded by the validator process (bin/validate-k8s.ts),
// never by Jest.
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';

export interface ValidationResult {
  apiVersion: string;
  kind: string;
  name: string;
  errors: string[];
}

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** apiVersion/kind -> model class. An object of any other type is an error. */
const MODELS: Readonly<Record<string, ModelClass>> = {
  'apps/v1/Deployment': Deployment as unknown as ModelClass,
  'v1/Service': Service as unknown as ModelClass,
  'v1/ConfigMap': ConfigMap as unknown as ModelClass,
  'v1/Secret': Secret as unknown as ModelClass,
  'v1/ServiceAccount': ServiceAccount as unknown as ModelClass,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as ModelClass,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy as unknown as ModelClass,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as unknown as ModelClass,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject as unknown as ModelClass,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication as unknown as ModelClass,
};

const describe = (error: unknown): string[] => {
  const details = (error as { errors?: unknown[] }).errors;
  if (Array.isArray(details) && details.length > 0) {
    return details.map((d) => {
      const e = d as { instancePath?: string; message?: string; params?: unknown };
      return `${e.instancePath ?? ''} ${e.message ?? JSON.stringify(d)} ${e.params ? JSON.stringify(e.params) : ''}`.trim();
    });
  }
  return [error instanceof Error ? error.message : String(error)];
};

export const KubernetesModelFactory = {
  kinds: Object.keys(MODELS),
  validate(object: Record<string, unknown>): ValidationResult {
    const apiVersion = String(object['apiVersion'] ?? '');
    const kind = String(object['kind'] ?? '');
    const metadata = (object['metadata'] ?? {}) as { name?: string };
    const result = { apiVersion, kind, name: metadata.name ?? '', errors: [] as string[] };
    const Model = MODELS[`${apiVersion}/${kind}`];
    if (!Model) {
      result.errors.push(`no schema for ${apiVersion} ${kind}`);
      return result;
    }
    try {
      new Model(object as never).validate();
    } catch (error) {
      result.errors.push(...describe(error));
    }
    return result;
  },
};
