# Single-node KRaft broker+controller bound to loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:@CONTROLLER_PORT@
listeners=PLAINTEXT://127.0.0.1:@PORT@,CONTROLLER://127.0.0.1:@CONTROLLER_PORT@
advertised.listeners=PLAINTEXT://127.0.0.1:@PORT@
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=@DATA@
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
# 50 offset partitions make the first group join slow on two cores.
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
# The default 3 s wait before the first rebalance is pure latency for tests.
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
log.retention.hours=24
