// Create, poll to `succeed` and download with the kling-api client, as its README shows.
import { KlingAPI } from "kling-api";

const [baseUrl, imagePath, outDir] = process.argv.slice(2);
const api = new KlingAPI({
  accessKey: process.env.KLING_ACCESS_KEY,
  secretKey: process.env.KLING_SECRET_KEY,
  baseUrl,
});
const task = await api.expandImage({
  image: imagePath,
  up_expansion_ratio: 0.1,
  down_expansion_ratio: 0.1,
  left_expansion_ratio: 0.1,
  right_expansion_ratio: 0.1,
});
const result = await api.waitForImageResult(
  task.data.task_id,
  api.queryImageExpandTask.bind(api),
  { interval: 200, timeout: 30000, showSpinner: false },
);
const saved = await api.saveImageResult(result, outDir, "expanded");
console.log(JSON.stringify({ task_id: task.data.task_id, status: result.data.task_status, saved }));
