/** Settings lives in screens/settings/ (one file per group of sections). */
export { SettingsScreen } from './settings/index.tsx';
