export { Cluster } from './Cluster';
export { clusterGateway } from './ClusterGateway';
