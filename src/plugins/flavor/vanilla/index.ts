// The `vanilla` flavor: appends init lines and adds tags; every existing instance is healthy.
export { createVanillaFlavor, parseVanillaProperties, type VanillaProperties } from './vanilla-flavor.js';
