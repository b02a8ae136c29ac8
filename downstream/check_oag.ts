import type { TaskRecord } from "./models/index";
export function status(rec: TaskRecord): string {
  return String(rec.taskStatus);
}
