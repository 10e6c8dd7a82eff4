export default (params: { n: number }) => ({ squared: params.n * params.n });
