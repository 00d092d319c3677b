/**
 * Model routing: an explicit `model` on the job wins; else its `task_class` maps to a model by
 * the routing table; a class the table does not name gets the default model.
 */
export interface RoutingTable {
  routes: Readonly<Record<string, string>>;
  defaultModel: string;
}

export function routeModel(
  job: { model?: string | undefined; task_class?: string | undefined },
  table: RoutingTable,
): string {
  if (job.model !== undefined) return job.model;
  if (job.task_class !== undefined) return table.routes[job.task_class] ?? table.defaultModel;
  return table.defaultModel;
}
