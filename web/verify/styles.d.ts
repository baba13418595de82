/** esbuild bundles imported style sheets into the page's one inline <style>. */
declare module '*.css';
