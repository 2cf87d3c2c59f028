<?xml version="1.0"?>
<!-- One of two local ClickHouse replicas (ReplicatedMergeTree through ZooKeeper: HBase's, on the
     loopback). Same layout as config.xml.tpl plus what replication needs. -->
<yandex>
  <logger>
    <level>information</level>
    <log>@DIR@/log/server.log</log>
    <errorlog>@DIR@/log/server.err.log</errorlog>
    <size>100M</size>
    <count>2</count>
  </logger>
  <http_port>@HTTP_PORT@</http_port>
  <tcp_port>@TCP_PORT@</tcp_port>
  <interserver_http_port>@INTERSERVER_PORT@</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <listen_host>127.0.0.1</listen_host>
  <max_connections>256</max_connections>
  <keep_alive_timeout>10</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <mark_cache_size>268435456</mark_cache_size>
  <path>@DIR@/data/</path>
  <tmp_path>@DIR@/tmp/</tmp_path>
  <user_files_path>@DIR@/user_files/</user_files_path>
  <format_schema_path>@DIR@/format_schemas/</format_schema_path>
  <users_config>@DIR@/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
  <zookeeper>
    <node><host>127.0.0.1</host><port>@ZK_PORT@</port></node>
    <session_timeout_ms>10000</session_timeout_ms>
  </zookeeper>
  <macros>
    <replica>@REPLICA@</replica>
  </macros>
</yandex>
