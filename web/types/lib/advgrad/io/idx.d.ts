// Types of ./lib/advgrad/io/idx.js (see ../index.d.ts).
export * from '../../../../../src/io/idx.ts';
