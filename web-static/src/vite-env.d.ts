// The build's environment variables the app reads (vite.config.ts checks the value).
interface ImportMetaEnv {
  /** The API's origin when the dashboard is hosted apart from it (the Azure Static Web App); unset: same origin. */
  readonly VITE_AGENTOPS_API_ORIGIN?: string;
}
