// The dashboard the manager serves: a small page app (plain HTML, CSS and JS modules) that talks
// to the manager's HTTP API and its event stream. `createDashboardHandler` serves its files.
export {
  CONTENT_SECURITY_POLICY,
  createDashboardHandler,
  type DashboardHandler,
  type DashboardOptions,
} from './dashboard-handler.js';
