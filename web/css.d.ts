/** Style sheets a module imports for its side effect: esbuild bundles them into the page's one CSS file. */
declare module '*.css';
