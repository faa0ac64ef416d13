export declare class UnparsableRangeError extends Error {}
export declare function satisfies(version: string, range: string): boolean;
