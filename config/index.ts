export * from "./types";
export * from "./errors";
export * from "./parse";
export * from "./units";
export * from "./load";
export * from "./stackFile";
