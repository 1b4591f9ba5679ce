export * from "./types";
export * from "./checker";
export * from "./parse";
export * from "./units";
export * from "./load";
