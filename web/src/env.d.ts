// Vite turns a CSS import into a stylesheet on the page.
declare module '*.css';
