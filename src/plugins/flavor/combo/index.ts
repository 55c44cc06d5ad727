// The `combo` flavor: chains other flavors in order, each preparing the previous one's spec.
export { type ComboFlavorOptions, createComboFlavor } from './combo-flavor.js';
