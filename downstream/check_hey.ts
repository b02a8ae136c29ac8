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
