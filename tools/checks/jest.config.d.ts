declare const _default: {
    displayName: string;
    preset: string;
    rootDir: string;
    testMatch: string[];
};
export default _default;
