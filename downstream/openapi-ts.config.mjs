export default {
  input: "../openapi/kling-image-expansion.yaml",
  output: "out/hey",
  plugins: ["@hey-api/typescript", "@hey-api/sdk", "@hey-api/client-fetch"],
};
