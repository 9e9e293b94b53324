// The dashboard's entry point: styles, then the app shell (which routes on the URL hash and renders into #app).
import './styles.css';
import './shell/app';
