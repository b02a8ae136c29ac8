import type { ExpandImageRequest, TaskRecord, TaskStatus } from "./types.gen";
const req: ExpandImageRequest = {
  image: "https://example.com/a.png",
  up_expansion_ratio: 0.1,
  down_expansion_ratio: 0.1,
  left_expansion_ratio: 0.1,
  right_expansion_ratio: 0.1,
};
const documented: TaskStatus = "succeed";
export function status(rec: TaskRecord): string {
  return rec.task_status;
}
export { req, documented };

import type { ErrorBody, GatewayError } from "./types.gen";
export const isGateway = (e: ErrorBody): e is GatewayError =>
  typeof e.error === "object" && e.error !== null;
export function errorMessage(e: ErrorBody): string {
  return isGateway(e) ? e.error.message : e.message;
}
