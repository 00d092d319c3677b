// Public entry of this lib. Its contents arrive with the shared-libs issue (#3).
export {};
