import type { components } from "./schema";
type S = components["schemas"];
const req: S["ExpandImageRequest"] = {
  image: "https://example.com/a.png",
  up_expansion_ratio: 0.1,
  down_expansion_ratio: 0.1,
  left_expansion_ratio: 0.1,
  right_expansion_ratio: 0.1,
};
const documented: S["TaskStatus"] = "succeed";
export function status(rec: S["TaskRecord"]): string {
  return rec.task_status;
}
export { req, documented };
