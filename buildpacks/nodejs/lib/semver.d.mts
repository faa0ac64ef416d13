export declare class UnparsableRangeError extends Error {}
export type Comparator = ['=' | '>=' | '>' | '<' | '<=', [number, number, number]];
export declare function parseVersion(text: string): [number, number, number];
export declare function parseRange(range: string): Comparator[][];
export declare function satisfies(version: string, range: string): boolean;
