<?xml version="1.0"?>
<!-- Standalone HBase: master, region server and ZooKeeper in one JVM, on the local filesystem, loopback only. -->
<configuration>
  <property><name>hbase.cluster.distributed</name><value>false</value></property>
  <property><name>hbase.rootdir</name><value>file://@DIR@/root</value></property>
  <property><name>hbase.tmp.dir</name><value>@DIR@/tmp</value></property>
  <property><name>hbase.zookeeper.property.dataDir</name><value>@DIR@/zk</value></property>
  <property><name>hbase.zookeeper.quorum</name><value>127.0.0.1</value></property>
  <property><name>hbase.zookeeper.property.clientPort</name><value>@ZK_PORT@</value></property>
  <!-- The local filesystem has no hflush/hsync; without this the master aborts at start. -->
  <property><name>hbase.unsafe.stream.capability.enforce</name><value>false</value></property>
  <property><name>hbase.master.ipc.address</name><value>127.0.0.1</value></property>
  <property><name>hbase.regionserver.ipc.address</name><value>127.0.0.1</value></property>
  <property><name>hbase.master.hostname</name><value>127.0.0.1</value></property>
  <property><name>hbase.unsafe.regionserver.hostname</name><value>127.0.0.1</value></property>
  <property><name>hbase.master.port</name><value>16000</value></property>
  <property><name>hbase.regionserver.port</name><value>16020</value></property>
  <property><name>hbase.master.info.port</name><value>-1</value></property>
  <property><name>hbase.regionserver.info.port</name><value>-1</value></property>
  <property><name>hbase.wal.provider</name><value>filesystem</value></property>
  <property><name>hbase.regionserver.thrift.ipaddress</name><value>127.0.0.1</value></property>
  <property><name>hbase.regionserver.thrift.port</name><value>@THRIFT_PORT@</value></property>
  <!-- Unframed transport + compact protocol: the Node adapter speaks exactly this. Framed transport is
       avoided on purpose: with it the 2.6 gateway reads list<binary> arguments (createTable split keys) as
       views of the whole request frame and rejects them as duplicates. -->
  <property><name>hbase.regionserver.thrift.framed</name><value>false</value></property>
  <property><name>hbase.regionserver.thrift.compact</name><value>true</value></property>
  <property><name>hbase.thrift.info.port</name><value>-1</value></property>
  <property><name>hbase.regionserver.thrift.http</name><value>false</value></property>
</configuration>
